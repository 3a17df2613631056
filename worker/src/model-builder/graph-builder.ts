import type { OnnxTypes } from './onnx-proto.ts';
import { onnx } from './onnx-proto.ts';

/**
 * A small helper to write ONNX graphs by hand: it names intermediate values, collects
 * nodes in order and turns JavaScript constants into initializers.
 */
export type AttributeValue = number | number[] | { float: number };

const DataType = onnx.TensorProto.DataType;
const AttributeType = onnx.AttributeProto.AttributeType;

export const ELEMENT_FLOAT = DataType.FLOAT;
export const ELEMENT_INT64 = DataType.INT64;
export const ELEMENT_BOOL = DataType.BOOL;

export interface GraphBuilder {
  /** Adds a node with one output and returns that output's name. */
  op(
    opType: string,
    inputs: string[],
    attributes?: Record<string, AttributeValue>,
    output?: string,
  ): string;
  /** Adds a node with several outputs. */
  opMulti(
    opType: string,
    inputs: string[],
    outputCount: number,
    attributes?: Record<string, AttributeValue>,
  ): string[];
  int64s(values: number[]): string;
  /** A 0-d float tensor. */
  floatScalar(value: number): string;
  /** A 0-d int64 tensor. */
  int64Scalar(value: number): string;
  readonly nodes: OnnxTypes.INodeProto[];
  readonly constants: OnnxTypes.ITensorProto[];
}

function attribute(name: string, value: AttributeValue): OnnxTypes.IAttributeProto {
  if (typeof value === 'number') {
    return { name, type: AttributeType.INT, i: value };
  }
  if (Array.isArray(value)) {
    return { name, type: AttributeType.INTS, ints: value };
  }
  return { name, type: AttributeType.FLOAT, f: value.float };
}

export function createGraphBuilder(): GraphBuilder {
  const nodes: OnnxTypes.INodeProto[] = [];
  const constants: OnnxTypes.ITensorProto[] = [];
  const counters = new Map<string, number>();
  const uniqueName = (base: string): string => {
    const count = counters.get(base) ?? 0;
    counters.set(base, count + 1);
    return `${base}_${count}`;
  };
  const addNode = (
    opType: string,
    inputs: string[],
    outputs: string[],
    attributes: Record<string, AttributeValue>,
  ): void => {
    nodes.push({
      name: uniqueName(`${opType}_node`),
      opType,
      input: inputs,
      output: outputs,
      attribute: Object.entries(attributes).map(([name, value]) => attribute(name, value)),
    });
  };
  const constant = (tensor: OnnxTypes.ITensorProto): string => {
    const name = uniqueName('const');
    constants.push({ ...tensor, name });
    return name;
  };
  return {
    nodes,
    constants,
    op(opType, inputs, attributes = {}, output = uniqueName(opType)) {
      addNode(opType, inputs, [output], attributes);
      return output;
    },
    opMulti(opType, inputs, outputCount, attributes = {}) {
      const outputs = Array.from({ length: outputCount }, () => uniqueName(opType));
      addNode(opType, inputs, outputs, attributes);
      return outputs;
    },
    int64s: (values) =>
      constant({ dataType: DataType.INT64, dims: [values.length], int64Data: values }),
    floatScalar: (value) => constant({ dataType: DataType.FLOAT, dims: [], floatData: [value] }),
    int64Scalar: (value) => constant({ dataType: DataType.INT64, dims: [], int64Data: [value] }),
  };
}

/** A graph input/output declaration; strings are symbolic dimensions. */
export function valueInfo(
  name: string,
  elemType: number,
  dims: (number | string)[],
): OnnxTypes.IValueInfoProto {
  return {
    name,
    type: {
      tensorType: {
        elemType,
        shape: {
          dim: dims.map((dim) => (typeof dim === 'number' ? { dimValue: dim } : { dimParam: dim })),
        },
      },
    },
  };
}
