import type { ExpectedTensor } from './types';

/** Collects the expected tensors of one architecture. */
export class TensorListBuilder {
  readonly tensors: ExpectedTensor[] = [];

  /** Adds one tensor. */
  tensor(
    name: string,
    stored: string,
    shape: readonly number[],
    required: boolean,
    inBaseModel: boolean,
  ): this {
    this.tensors.push({ name, stored, shape, required, inBaseModel });
    return this;
  }

  /** Adds a PyTorch `nn.Linear(inFeatures, outFeatures)`: `.weight` [out, in] and `.bias` [out]. */
  linear(
    name: string,
    stored: string,
    out: number,
    inFeatures: number,
    required: boolean,
    inBaseModel: boolean,
  ): this {
    this.tensor(`${name}.weight`, `${stored}.weight`, [out, inFeatures], required, inBaseModel);
    return this.tensor(`${name}.bias`, `${stored}.bias`, [out], required, inBaseModel);
  }

  /** Adds an `nn.LayerNorm(size)`: `.weight` and `.bias`, both [size]. */
  norm(name: string, stored: string, size: number, required: boolean, inBaseModel: boolean): this {
    this.tensor(`${name}.weight`, `${stored}.weight`, [size], required, inBaseModel);
    return this.tensor(`${name}.bias`, `${stored}.bias`, [size], required, inBaseModel);
  }
}
