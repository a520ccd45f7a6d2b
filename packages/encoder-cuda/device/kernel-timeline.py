"""Per-kernel table of one forward from kernel-trace.cc's CSV: the forwards are cut at the
embedding kernel, the median-length one of the most common kernel count is shown (graph replays),
with each kernel name's mean duration and mean gap before it (negative: it started while the one
before ran, as programmatic launches do), then the first N kernels in order.
  python3 kernel-timeline.py trace.csv [N]"""
import collections
import csv
import sys

kernels = sorted((int(r['Start']), int(r['End']) - int(r['Start']), r['Name'])
                 for r in csv.DictReader(open(sys.argv[1])))
starts = [i for i, k in enumerate(kernels) if 'embedding' in k[2]]
forwards = [kernels[a:b] for a, b in zip(starts, starts[1:])]
if not forwards:
    sys.exit('no complete forward in the trace')
count = collections.Counter(len(f) for f in forwards).most_common(1)[0][0]
same = sorted((f for f in forwards if len(f) == count), key=lambda f: f[-1][0] + f[-1][1] - f[0][0])
forward = same[len(same) // 2]
t0 = forward[0][0]
span = forward[-1][0] + forward[-1][1] - t0
print(f'{len(forward)} kernels, span {span / 1e3:.1f} us, '
      f'sum of durations {sum(d for _, d, _ in forward) / 1e3:.1f} us')
short = lambda name: name.split('(')[0][-60:]
table = collections.OrderedDict()
end = None
for start, duration, name in forward:
    row = table.setdefault(short(name), [0, 0, 0])
    row[0] += 1
    row[1] += duration
    row[2] += 0 if end is None else start - end
    end = start + duration if end is None else max(end, start + duration)
print('| kernel | count | mean duration (us) | mean gap before (us) |\n|---|---:|---:|---:|')
for name, (n, duration, gap) in table.items():
    print(f'| {name} | {n} | {duration / n / 1e3:.2f} | {gap / n / 1e3:.2f} |')
for start, duration, name in forward[:int(sys.argv[2]) if len(sys.argv) > 2 else 12]:
    print(f'  {(start - t0) / 1e3:8.2f} {duration / 1e3:6.2f}  {short(name)}')
