# run 8, lease 2, part b (typed inline in the polling call): DPO at run 8a's settings on the rank-128 round 2,
# from the same session-7 pairs, then its plain evaluation
. /root/m/env.sh
python3 scripts/device_train_all.py --gguf /root/m/smollm2.gguf --data /root/m/data --out $O/dpod --work /root/runsd \
  --stages dpo --pairs /root/m/pairs7.jsonl --dpo-seconds 300 --set "dpo.init_adapters=[\"$PWD/$A1\",\"/root/runsl128/round2/adapter\"]" \
  --set dpo.scaffold_fraction=0.5 > $O/dpod.log 2>&1
echo done > $O/dpod.done
bash /root/m/gen8.sh r1r2dpo-run8d --adapter $A1 --adapter /root/runsl128/round2/adapter --adapter /root/runsd/dpo/adapter
