import type { ModelConfig } from '../model-config';
import type { TensorListBuilder } from './tensor-builder';

/**
 * Adds the embedding tensors: word, position, token-type (when the architecture has them), the
 * embedding LayerNorm, and ELECTRA's or ALBERT's projection from the embedding width to the hidden size.
 */
export function addEmbeddings(b: TensorListBuilder, config: ModelConfig): void {
  const E = config.embeddingSize;
  b.tensor('embeddings.word', 'embeddings.word_embeddings.weight', [config.vocabSize, E], true, true);
  b.tensor(
    'embeddings.position',
    'embeddings.position_embeddings.weight',
    [config.maxPositionEmbeddings, E],
    true,
    true,
  );
  if (config.typeVocabSize > 0) {
    b.tensor(
      'embeddings.token_type',
      'embeddings.token_type_embeddings.weight',
      [config.typeVocabSize, E],
      true,
      true,
    );
  }
  b.norm('embeddings.norm', 'embeddings.LayerNorm', E, true, true);
  if (config.modelType === 'albert') {
    // AlbertTransformer always has this Linear, even when embedding_size equals hidden_size.
    b.linear(
      'embeddings.projection',
      'encoder.embedding_hidden_mapping_in',
      config.hiddenSize,
      E,
      true,
      true,
    );
  } else if (config.modelType === 'electra' && E !== config.hiddenSize) {
    // ElectraModel creates embeddings_project only when the widths differ.
    b.linear('embeddings.projection', 'embeddings_project', config.hiddenSize, E, true, true);
  }
}
