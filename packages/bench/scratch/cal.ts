import { MnistTask } from '../src/mnist-task';
const task = await MnistTask.load({ log: () => {} });
for (let i = 0; i < 3; i++) console.log(await task.calibrate(20, 100));
