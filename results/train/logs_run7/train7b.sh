# lease 1, after train7.sh's `python3 -m rtlgen train extract` failed on the device (typer there needs pydantic, which
# was not carried): the same steps with extract_adapter called from Python. Written on the device as run.
. /root/m/env.sh
T=/root/runs/round2/model
ext() { python3 -c "import sys,json; from finetune.extract import extract_adapter as e; r=e('/root/m/smollm2.gguf','$T','$O/ext$1',$1,init_adapters=['$A1']); r.pop('per_layer'); print(json.dumps(r))" > $O/ext$1.log 2>&1; }
ext 24
E=$O/ext24
bash /root/m/gen7.sh r1r2-run7 --adapter $A1 --adapter $E &
bash /root/m/gen7.sh r1r2-run7full --model $T --protocols greedy &
(for r in 8 16 32 64; do ext $r; done; echo done > $O/ext.done) &
python3 scripts/device_train_all.py --gguf /root/m/smollm2.gguf --data /root/m/data/default --out $O/dpo --work /root/runs \
  --stages dpo --r1-adapter $A1 --r2-adapter $E --dpo-seconds 240 --k 8 --set dpo.max_new_tokens=512 \
  --set dpo.sim_workers=13 --set dpo.scaffold_fraction=0.5 > $O/dpo.log 2>&1
echo done > $O/dpo.done
wait
echo done > $O/all.done
