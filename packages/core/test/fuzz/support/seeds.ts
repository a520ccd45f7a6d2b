import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The real model fixtures (`fixtures/models/*`), the fuzzers' seed inputs. */
export const FIXTURES = fileURLToPath(new URL('../../../fixtures/models/', import.meta.url));

export function fixture(path: string): Uint8Array {
  return new Uint8Array(readFileSync(`${FIXTURES}${path}`));
}

export function fixtureJson(path: string): unknown {
  return JSON.parse(readFileSync(`${FIXTURES}${path}`, 'utf8'));
}

/** Every model folder of the fixtures, by weights format, from its manifest. */
export function fixtureModels(): { name: string; weightsFormat: string }[] {
  return (fixtureJson('manifest.json') as { models: { name: string; weightsFormat: string }[] }).models;
}

/** The config.json of every fixture model. */
export function configSeeds(): unknown[] {
  return fixtureModels().map((m) => fixtureJson(`${m.name}/config.json`));
}

/** Where the fuzz corpus of minimised and interesting inputs lives (committed). */
export const CORPUS = fileURLToPath(new URL('../corpus/', import.meta.url));
