export { Lifecycle, type Component } from './lifecycle';
export { silentLogger, type LogFn, type Logger } from './logger';
