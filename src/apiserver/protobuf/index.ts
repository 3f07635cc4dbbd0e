/**
 * Protobuf request bodies (`application/vnd.kubernetes.protobuf`): decode only. The apiserver
 * calls decodeProtobufObject(body) where it would JSON.parse, then handles the object as usual
 * (answers stay JSON, which kubectl accepts).
 */
export { decodeProtobufObject, decodeUnknown, PROTOBUF_MAGIC } from './decode.js';
export { TOP_LEVEL as PROTOBUF_KINDS } from './messages.js';
export { ProtoWriter } from './writer.js';
