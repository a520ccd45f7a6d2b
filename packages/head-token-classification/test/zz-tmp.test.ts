import { readFileSync } from 'node:fs';
import { fromModelDir } from '@samp/tokenizer';
import { it } from 'vitest';
import { decodeTags, entityScores } from '../src';
it('diff', async () => {
  const dir = '/work/main/models/cluener-zh-small';
  const rows = readFileSync(`${dir}/dev.jsonl`, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));
  const cfg = JSON.parse(readFileSync(`${dir}/config.json`, 'utf8'));
  const tok = await fromModelDir(dir);
  const out: string[] = [];
  let gainF = 0, lossF = 0;
  const P: any[] = [], N: any[] = [];
  rows.forEach((r: any) => {
    const enc = tok.encode(r.text, undefined, { maxLength: 64 });
    const tags = r.predicted_tags.map((id: number) => cfg.id2label[String(id)]);
    const f = decodeTags(tags, enc.offsets, { text: r.text, aggregation: 'first' });
    const n = decodeTags(tags, enc.offsets, { text: r.text, aggregation: 'none' });
    P.push(f); N.push(n);
    const k = (e: any) => `${e.type}:${e.start}:${e.end}`;
    const gold = new Set(r.entities.map(k));
    const fs = new Set(f.map(k)), ns = new Set(n.map(k));
    if ([...fs].sort().join() !== [...ns].sort().join()) {
      const toks = tok.convertIdsToTokens(enc.ids);
      out.push(`${r.text}\n  gold=${[...gold].join(' ')}\n  first=${[...fs].filter(x=>!ns.has(x)).join(' ')}  none=${[...ns].filter(x=>!fs.has(x)).join(' ')}\n  toks=${toks.join(' ')} tags=${tags.join(' ')}`);
    }
  });
  const g = rows.map((r: any) => r.entities);
  const sf = entityScores(g, P), sn = entityScores(g, N);
  out.unshift(`first ${JSON.stringify({p:sf.precision,r:sf.recall,f:sf.f1,tp:sf.truePositives,pred:sf.predicted,g:sf.gold})}\nnone ${JSON.stringify({p:sn.precision,r:sn.recall,f:sn.f1,tp:sn.truePositives,pred:sn.predicted})}`);
  (await import('node:fs')).writeFileSync('/tmp/cl-diff.txt', out.join('\n'));
});
