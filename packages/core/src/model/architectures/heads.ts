import type { ModelConfig } from '../model-config';
import type { TensorListBuilder } from './tensor-builder';
import type { HeadKind } from './types';

/**
 * The task a checkpoint was saved for, from the first entry of `config.architectures` that names a
 * supported head; `base` when none does.
 */
export function headKindOf(config: Pick<ModelConfig, 'architectures'>): HeadKind {
  for (const name of config.architectures) {
    if (name.endsWith('ForSequenceClassification')) return 'sequence-classification';
    if (name.endsWith('ForTokenClassification')) return 'token-classification';
    if (name.endsWith('ForQuestionAnswering')) return 'question-answering';
  }
  return 'base';
}

/**
 * Adds the pooler (BERT, RoBERTa, XLM-R and ALBERT base models have one; it is required only where
 * the sequence-classification head reads it) and the task head's tensors.
 */
export function addPoolerAndHead(b: TensorListBuilder, config: ModelConfig, head: HeadKind): void {
  const H = config.hiddenSize;
  const N = config.numLabels;
  const type = config.modelType;
  const poolerRequired = head === 'sequence-classification' && (type === 'bert' || type === 'albert');
  if (type === 'bert' || type === 'roberta' || type === 'xlm-roberta') {
    b.linear('pooler.dense', 'pooler.dense', H, H, poolerRequired, true);
  } else if (type === 'albert') {
    // AlbertModel's pooler is a bare nn.Linear named `pooler`.
    b.linear('pooler.dense', 'pooler', H, H, poolerRequired, true);
  }
  switch (head) {
    case 'base':
      return;
    case 'token-classification':
      b.linear('classifier', 'classifier', N, H, true, false);
      return;
    case 'question-answering':
      // DistilBertForQuestionAnswering hard-codes 2 outputs; the others use num_labels.
      b.linear('qa_outputs', 'qa_outputs', type === 'distilbert' ? 2 : N, H, true, false);
      return;
    case 'sequence-classification':
      if (type === 'bert' || type === 'albert') {
        b.linear('classifier', 'classifier', N, H, true, false);
      } else if (type === 'distilbert') {
        b.linear('pre_classifier', 'pre_classifier', H, H, true, false);
        b.linear('classifier', 'classifier', N, H, true, false);
      } else {
        b.linear('classifier.dense', 'classifier.dense', H, H, true, false);
        b.linear('classifier.out_proj', 'classifier.out_proj', N, H, true, false);
      }
      return;
  }
}
