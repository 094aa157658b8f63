# run 7, lease 1: round 2 as run 6 but full fine-tuning of the decoder's linear layers (lr 1e-4, 1.6 epochs),
# shipped as a rank-24 adapter (rtlgen train extract); then its evals and DPO on it, concurrently
. /root/m/env.sh
python3 scripts/device_train_all.py --gguf /root/m/smollm2.gguf --data /root/m/data/default --out $O/r2 --work /root/runs \
  --stages round2 --r1-adapter $A1 --r2-seconds 840 --set round2.packing=true --set round2.packing_layout=rows \
  --set round2.max_length=2048 --set round2.batch_size=32 --set round2.learning_rate=1.0e-4 --set round2.epochs=1.6 \
  --set round2.dataloader_workers=2 --set round2.dataset_workers=8 --set round2.scaffold_fraction=1.0 \
  --set round2.lora.enabled=false --set round2.full_scope=linear > $O/r2.log 2>&1
echo done > $O/r2.done
T=/root/runs/round2/model
python3 -m rtlgen train extract --tuned $T --base /root/m/smollm2.gguf --init-adapter $A1 --rank 24 --out $O/ext24 > $O/ext24.log 2>&1
E=$O/ext24
bash /root/m/gen7.sh r1r2-run7 --adapter $A1 --adapter $E &
bash /root/m/gen7.sh r1r2-run7full --model $T --protocols greedy &
(for r in 8 16 32 64; do python3 -m rtlgen train extract --tuned $T --base /root/m/smollm2.gguf --init-adapter $A1 --rank $r --out $O/ext$r > $O/ext$r.log 2>&1; done; echo done > $O/ext.done) &
python3 scripts/device_train_all.py --gguf /root/m/smollm2.gguf --data /root/m/data/default --out $O/dpo --work /root/runs \
  --stages dpo --r1-adapter $A1 --r2-adapter $E --dpo-seconds 240 --k 8 --set dpo.max_new_tokens=512 \
  --set dpo.sim_workers=13 --set dpo.scaffold_fraction=0.5 > $O/dpo.log 2>&1
echo done > $O/dpo.done
wait
echo done > $O/all.done
