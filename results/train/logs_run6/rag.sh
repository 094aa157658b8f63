. /root/m/env.sh
AD="--adapter $A1 --adapter /root/m/a6/round2 --adapter /root/m/a6/dpo"
rm -f /root/m/out6/*.gen.done
(setsid nohup bash /root/m/gen.sh r1r2dpo-run6-rag $AD --contexts /root/m/ctx6/bm25.jsonl > /dev/null 2>&1 &)
(setsid nohup bash /root/m/gen.sh r1r2dpo-run6-raghy $AD --contexts /root/m/ctx6/hybrid.jsonl > /dev/null 2>&1 &)
