. /root/m/env.sh
python3 scripts/device_train_all.py --gguf /root/m/smollm2.gguf --data /root/m/data/default --out /root/m/out6/r2 --work /root/runs \
  --stages round2 --r1-adapter $A1 --r2-seconds 720 --set round2.packing=true --set round2.packing_layout=rows \
  --set round2.max_length=2048 --set round2.batch_size=32 --set round2.learning_rate=2.0e-4 --set round2.epochs=2.0 \
  --set round2.dataloader_workers=2 --set round2.dataset_workers=8 --set round2.scaffold_fraction=1.0 > /root/m/out6/r2.log 2>&1
echo done > /root/m/out6/r2.done
bash /root/m/gen.sh r1r2-run6 --adapter $A1 --adapter /root/runs/round2/adapter &
python3 scripts/device_train_all.py --gguf /root/m/smollm2.gguf --data /root/m/data/default --out /root/m/out6/dpo --work /root/runs \
  --stages dpo --r1-adapter $A1 --r2-adapter /root/runs/round2/adapter --dpo-seconds 240 --k 8 \
  --set dpo.max_new_tokens=512 --set dpo.sim_workers=13 --set dpo.scaffold_fraction=0.5 > /root/m/out6/dpo.log 2>&1
echo done > /root/m/out6/dpo.done
wait
