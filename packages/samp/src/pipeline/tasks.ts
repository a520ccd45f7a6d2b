import { type HeadV1, headKindOf, type ModelConfig } from '@samp/core';
import { type ClassificationResult, classificationHead } from '@samp/head-classification';
import { type TextMatchingResult, textMatchingHead } from '@samp/head-text-matching';
import { type TokenClassificationResult, tokenClassificationHead } from '@samp/head-token-classification';
import { TaskNotSupportedError } from './errors';
import { type FeatureExtractionResult, featureExtractionHead } from './feature-extraction-head';

/** The tasks `pipeline()` serves. */
export const PIPELINE_TASKS = [
  'classification',
  'token-classification',
  'text-matching',
  'feature-extraction',
] as const;

/** One of {@link PIPELINE_TASKS}. */
export type PipelineTask = (typeof PIPELINE_TASKS)[number];

/** What one input gives, by task. */
export interface PipelineTaskResults {
  classification: ClassificationResult;
  'token-classification': TokenClassificationResult;
  'text-matching': TextMatchingResult;
  'feature-extraction': FeatureExtractionResult;
}

/** Any task's result. */
export type PipelineResult = PipelineTaskResults[PipelineTask];

/** Which inputs a task takes: single texts, text pairs, or either. */
export type TaskInputs = 'single' | 'pair' | 'any';

/** One row of the task table. */
export interface TaskDefinition {
  readonly task: PipelineTask;
  /** Other names the task answers to (transformers' and the heads' task names). */
  readonly aliases: readonly string[];
  /** The head that decodes the encoder output. */
  readonly head: HeadV1<PipelineResult>;
  readonly inputs: TaskInputs;
}

/**
 * The task table: each task's head and the inputs it takes. A BERT classifier accepts text pairs
 * (`[CLS] a [SEP] b [SEP]`); token classification places entities in one text, so it refuses pairs;
 * text matching needs pairs.
 */
export const TASKS: Readonly<Record<PipelineTask, TaskDefinition>> = {
  classification: {
    task: 'classification',
    aliases: ['text-classification', 'sentiment-analysis'],
    head: classificationHead as HeadV1<PipelineResult>,
    inputs: 'any',
  },
  'token-classification': {
    task: 'token-classification',
    aliases: ['ner'],
    head: tokenClassificationHead as HeadV1<PipelineResult>,
    inputs: 'single',
  },
  'text-matching': {
    task: 'text-matching',
    aliases: ['sentence-similarity'],
    head: textMatchingHead as HeadV1<PipelineResult>,
    inputs: 'pair',
  },
  'feature-extraction': {
    task: 'feature-extraction',
    aliases: [],
    head: featureExtractionHead as HeadV1<PipelineResult>,
    inputs: 'any',
  },
};

/** The task a task name (or alias) stands for, or `undefined`. */
export function taskByName(name: string): PipelineTask | undefined {
  for (const def of Object.values(TASKS))
    if (def.task === name || def.aliases.includes(name)) return def.task;
  return undefined;
}

/**
 * The task `'auto'` picks from `config.architectures`: `…ForSequenceClassification` → classification,
 * `…ForTokenClassification` → token-classification, a bare encoder → feature-extraction.
 * @param model the model folder, for the error message.
 * @throws TaskNotSupportedError for a head no task serves (question answering).
 */
export function autoTask(config: Pick<ModelConfig, 'architectures'>, model: string): PipelineTask {
  const kind = headKindOf(config);
  switch (kind) {
    case 'sequence-classification':
      return 'classification';
    case 'token-classification':
      return 'token-classification';
    case 'base':
      return 'feature-extraction';
    default:
      throw new TaskNotSupportedError(
        'auto',
        model,
        config.architectures,
        `no pipeline task serves a ${kind} head (tasks: ${PIPELINE_TASKS.join(', ')})`,
      );
  }
}
