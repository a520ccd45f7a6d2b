/**
 * Tensor names and shapes of tiny checkpoints exactly as transformers' `state_dict()` names them,
 * written out by hand from the modeling_*.py module trees (not derived from samp's descriptions), so
 * that the weight-mapping tests compare two independent sources.
 */

export interface TinySizes {
  V: number;
  H: number;
  I: number;
  P: number;
  T: number;
  L: number;
  /** Embedding width (ELECTRA, ALBERT). */
  E: number;
  /** Labels. */
  N: number;
  /** ALBERT groups. */
  G: number;
}

/** The sizes most mapping tests use. */
export const TINY: TinySizes = { V: 20, H: 8, I: 16, P: 16, T: 2, L: 2, E: 4, N: 3, G: 1 };

type Shapes = Record<string, number[]>;

function linear(out: Shapes, name: string, o: number, i: number): void {
  out[`${name}.weight`] = [o, i];
  out[`${name}.bias`] = [o];
}

function norm(out: Shapes, name: string, n: number): void {
  out[`${name}.weight`] = [n];
  out[`${name}.bias`] = [n];
}

/** BertModel / RobertaModel / XLMRobertaModel (`pooler`: with its pooler). */
export function bertBase(p: string, s: TinySizes, pooler: boolean): Shapes {
  const out: Shapes = {};
  out[`${p}embeddings.word_embeddings.weight`] = [s.V, s.H];
  out[`${p}embeddings.position_embeddings.weight`] = [s.P, s.H];
  out[`${p}embeddings.token_type_embeddings.weight`] = [s.T, s.H];
  norm(out, `${p}embeddings.LayerNorm`, s.H);
  for (let i = 0; i < s.L; i++) {
    const l = `${p}encoder.layer.${i}`;
    linear(out, `${l}.attention.self.query`, s.H, s.H);
    linear(out, `${l}.attention.self.key`, s.H, s.H);
    linear(out, `${l}.attention.self.value`, s.H, s.H);
    linear(out, `${l}.attention.output.dense`, s.H, s.H);
    norm(out, `${l}.attention.output.LayerNorm`, s.H);
    linear(out, `${l}.intermediate.dense`, s.I, s.H);
    linear(out, `${l}.output.dense`, s.H, s.I);
    norm(out, `${l}.output.LayerNorm`, s.H);
  }
  if (pooler) linear(out, `${p}pooler.dense`, s.H, s.H);
  return out;
}

/** ElectraModel (embeddings of width E, projected when E differs from H). */
export function electraBase(p: string, s: TinySizes): Shapes {
  const out = bertBase(p, { ...s }, false);
  out[`${p}embeddings.word_embeddings.weight`] = [s.V, s.E];
  out[`${p}embeddings.position_embeddings.weight`] = [s.P, s.E];
  out[`${p}embeddings.token_type_embeddings.weight`] = [s.T, s.E];
  norm(out, `${p}embeddings.LayerNorm`, s.E);
  if (s.E !== s.H) linear(out, `${p}embeddings_project`, s.H, s.E);
  return out;
}

/** DistilBertModel. */
export function distilbertBase(p: string, s: TinySizes): Shapes {
  const out: Shapes = {};
  out[`${p}embeddings.word_embeddings.weight`] = [s.V, s.H];
  out[`${p}embeddings.position_embeddings.weight`] = [s.P, s.H];
  norm(out, `${p}embeddings.LayerNorm`, s.H);
  for (let i = 0; i < s.L; i++) {
    const l = `${p}transformer.layer.${i}`;
    linear(out, `${l}.attention.q_lin`, s.H, s.H);
    linear(out, `${l}.attention.k_lin`, s.H, s.H);
    linear(out, `${l}.attention.v_lin`, s.H, s.H);
    linear(out, `${l}.attention.out_lin`, s.H, s.H);
    norm(out, `${l}.sa_layer_norm`, s.H);
    linear(out, `${l}.ffn.lin1`, s.I, s.H);
    linear(out, `${l}.ffn.lin2`, s.H, s.I);
    norm(out, `${l}.output_layer_norm`, s.H);
  }
  return out;
}

/** AlbertModel with `s.G` layer groups of one layer each. */
export function albertBase(p: string, s: TinySizes, pooler: boolean): Shapes {
  const out: Shapes = {};
  out[`${p}embeddings.word_embeddings.weight`] = [s.V, s.E];
  out[`${p}embeddings.position_embeddings.weight`] = [s.P, s.E];
  out[`${p}embeddings.token_type_embeddings.weight`] = [s.T, s.E];
  norm(out, `${p}embeddings.LayerNorm`, s.E);
  linear(out, `${p}encoder.embedding_hidden_mapping_in`, s.H, s.E);
  for (let g = 0; g < s.G; g++) {
    const l = `${p}encoder.albert_layer_groups.${g}.albert_layers.0`;
    norm(out, `${l}.full_layer_layer_norm`, s.H);
    linear(out, `${l}.attention.query`, s.H, s.H);
    linear(out, `${l}.attention.key`, s.H, s.H);
    linear(out, `${l}.attention.value`, s.H, s.H);
    linear(out, `${l}.attention.dense`, s.H, s.H);
    norm(out, `${l}.attention.LayerNorm`, s.H);
    linear(out, `${l}.ffn`, s.I, s.H);
    linear(out, `${l}.ffn_output`, s.H, s.I);
  }
  if (pooler) linear(out, `${p}pooler`, s.H, s.H);
  return out;
}

/** `classifier` Linear(H, N) (BERT/ALBERT/DistilBERT sequence heads, every token-classification head). */
export function linearHead(name: string, s: TinySizes, n = s.N): Shapes {
  const out: Shapes = {};
  linear(out, name, n, s.H);
  return out;
}

/** RobertaClassificationHead / ElectraClassificationHead. */
export function robertaClassificationHead(s: TinySizes): Shapes {
  const out: Shapes = {};
  linear(out, 'classifier.dense', s.H, s.H);
  linear(out, 'classifier.out_proj', s.N, s.H);
  return out;
}
