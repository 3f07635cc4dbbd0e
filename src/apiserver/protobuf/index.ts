export { decodeProtobufObject } from './decode.js';
