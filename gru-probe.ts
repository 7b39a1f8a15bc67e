import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
async function main(backend: string, kind: string, T: number) {
  await tf.setBackend(backend); await tf.ready();
  const V = 64, B = 32, U = 128;
  const m = tf.sequential();
  if (kind === 'gru-unroll') m.add(tf.layers.gru({ units: U, returnSequences: true, inputShape: [T, V], recurrentInitializer: 'glorotUniform', unroll: true }));
  else if (kind === 'simple') m.add(tf.layers.simpleRNN({ units: U, returnSequences: true, inputShape: [T, V], recurrentInitializer: 'glorotUniform' }));
  else {
    m.add(tf.layers.conv1d({ filters: 96, kernelSize: 3, padding: 'causal', activation: 'relu', inputShape: [T, V] }));
    for (const d of [2, 4, 8]) m.add(tf.layers.conv1d({ filters: 96, kernelSize: 3, padding: 'causal', dilationRate: d, activation: 'relu' }));
  }
  m.add(tf.layers.dense({ units: V }));
  console.log('params', m.countParams());
  const ids = tf.randomUniform([B, T], 0, V, 'int32');
  const xs = tf.oneHot(ids, V).toFloat();
  const ys = tf.oneHot(tf.randomUniform([B * T], 0, V, 'int32'), V);
  const vars = m.trainableWeights.map((w) => (w as any).val);
  for (let i = 0; i < 4; i++) {
    const t0 = performance.now();
    const { value, grads } = tf.variableGrads(() => {
      const logits = (m.apply(xs, { training: true }) as tf.Tensor).reshape([B * T, V]);
      return tf.losses.softmaxCrossEntropy(ys, logits) as tf.Scalar;
    }, vars);
    await value.data();
    console.log(backend, kind, T, 'step ms', (performance.now() - t0).toFixed(0));
    tf.dispose([value, ...Object.values(grads)]);
  }
}
main(process.argv[2], process.argv[3], Number(process.argv[4])).catch((e) => { console.error('FAIL', e.message); process.exit(1); });
