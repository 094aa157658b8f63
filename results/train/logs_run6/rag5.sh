. /root/m/env.sh
R=rtlgen/adapters/rtlgen-smollm2-135m
rm -f /root/m/out6/*.gen.done
(setsid nohup bash /root/m/gen.sh r1r2dpo-run5-raghy --adapter $R/round1 --adapter $R/round2 --adapter $R/dpo --contexts /root/m/ctx6/hybrid.jsonl > /dev/null 2>&1 &)
