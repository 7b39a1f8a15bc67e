export * from './limits';
export * from './issues';
export * from './names';
export * from './config';
export * from './client-payloads';
export * from './server-payloads';
export * from './http-payloads';
export * from './events';
