// onnx-proto is CommonJS whose exports Node cannot name statically: take the namespace
// from the default export, once, here.
import onnxProto from 'onnx-proto';

export const { onnx } = onnxProto;
export type { onnx as OnnxTypes } from 'onnx-proto';
