#!/bin/bash
# interleaved A/B: old main (4efb89e) vs this branch, same scenarios, same machine
for i in 1 2 3; do
  for side in old main; do
    dir=/work/wt-old; [ $side = main ] && dir=/work/main
    (cd $dir/bench && go run ./cmd/occbench -reps 1 -duration 1500ms -warmup 500ms \
      -scenarios uncontended,hot-shared-16,distinct -approaches limit,ifmatch,ifmatch-update,ifmatch-patch \
      -json /tmp/ab/$side-$i.json > /tmp/ab/$side-$i.md 2>/tmp/ab/$side-$i.err)
  done
done
echo finished
