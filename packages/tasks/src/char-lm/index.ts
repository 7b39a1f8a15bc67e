import { z } from 'zod';
import { defineTask } from '../task';
import { loadText, TEXT } from './pack';

/** A character-level language model on Jane Austen's novels: loss and perplexity per character. */
export const charLm = defineTask({
  id: 'char-lm',
  title: "Jane Austen's novels, character-level GRU",
  description:
    "Next-character prediction on Jane Austen's six novels (Project Gutenberg text from Debian's r-cran-janeaustenr; 3.96 M training and 60 k validation characters, 96 symbols) with a GRU; metric: validation perplexity per character.",
  metric: 'perplexity',
  options: z.strictObject({
    cell: z.enum(['gru', 'lstm']).default('gru'),
    /** Recurrent layer widths. */
    units: z.array(z.int().min(1).max(1024)).min(1).max(3).default([128]),
    /** Characters per training window. TF.js runs an RNN step by step, so the step cost grows with it. */
    length: z.int().min(2).max(256).default(32),
  }),
  data: { key: 'austen', load: loadText },
  info: (o) => ({
    model: { kind: 'rnn', cell: o.cell, vocab: TEXT.vocabulary.length, length: o.length, units: o.units },
    data: { layout: 'stream', classNames: [...TEXT.vocabulary], image: null },
  }),
});
