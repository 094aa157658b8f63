# run 11, one lease: unpack the soup adapters (rtlgen train soup, built here), then the plain (five
# benchmarks) and scaffolded (v2 spec-to-rtl, RTLLM v1.1) evaluations of round 1 + each soup, all four side by side.
# usage: soups.sh NAME...   (adapter tars: /root/m/s11/NAME.tar)
. /root/m/env.sh
for s in "$@"; do
  mkdir -p /root/m/ad && tar -xf /root/m/s11/$s.tar -C /root/m/ad
  AD="--adapter $A1 --adapter /root/m/ad/$s"
  bash /root/m/gen.sh r1r2-soup-$s $AD &
  bash /root/m/gen.sh r1r2-soup-$s-scaf $AD --scaffold --benches verilogeval-v2-spec,rtllm-v1.1 &
done
wait
echo done > $O/all.done
