import { SampError, type SampErrorOptions } from '@samp/core';

/**
 * A model cannot serve the task asked of it: it has no head for it (a `…ForTokenClassification`
 * checkpoint asked for classification, a bare encoder asked for token classification…), or no task
 * fits its `architectures` (`task: 'auto'`). Names the task, the model folder, its `architectures`
 * and why. Code `SAMP_TASK_UNSUPPORTED`.
 */
export class TaskNotSupportedError extends SampError {
  readonly task: string;
  readonly model: string;
  readonly architectures: readonly string[];
  readonly reason: string;

  constructor(
    task: string,
    model: string,
    architectures: readonly string[],
    reason: string,
    options?: SampErrorOptions,
  ) {
    const names = architectures.length > 0 ? architectures.join(', ') : 'none listed';
    super(
      'SAMP_TASK_UNSUPPORTED',
      `${model}: the model (architectures: ${names}) cannot serve the task "${task}": ${reason}`,
      options,
    );
    this.task = task;
    this.model = model;
    this.architectures = architectures;
    this.reason = reason;
  }
}
