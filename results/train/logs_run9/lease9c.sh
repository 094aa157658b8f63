# run 9, lease C: as lease B on bundle 10 (bundle 9 + 16,528 rows of a fourth procedural build, seed 4) for EPOCHS epochs
# (about run 9f's 48.5M tokens), then only the two evaluations the #5 targets name (the device budget left)
. /root/m/env.sh
EPOCHS=${1:-1.24}
export PYTORCH_CUDA_ALLOC_CONF=expandable_segments:True
mkdir -p /root/m/data10 && tar -xzf /root/m/d10/data.tar.gz -C /root/m/data10
python3 scripts/device_train_all.py --gguf /root/m/smollm2.gguf --data /root/m/data10/default --out $O/r2g --work /root/runs9g \
    --stages round2 --r1-adapter $A1 --r2-seconds 1500 --set round2.packing=true --set round2.packing_layout=rows \
    --set round2.max_length=2048 --set round2.batch_size=32 --set round2.learning_rate=6.0e-4 --set round2.epochs=$EPOCHS \
    --set round2.dataloader_workers=2 --set round2.dataset_workers=8 --set round2.scaffold_fraction=1.0 \
    --set round2.lora.r=128 --set round2.lora.alpha=256 > $O/r2g.log 2>&1
mkdir -p $O/adg && tar -C /root/runs9g/round2 -cf /root/m/r2g_adapter.tar adapter && split -b 12M -d /root/m/r2g_adapter.tar $O/adg/r2g.tar.
echo done > $O/r2g.done
AD="--adapter $A1 --adapter /root/runs9g/round2/adapter"
bash /root/m/gen9.sh r1r2-run9g-mach $AD --benches verilogeval-v1-machine &
bash /root/m/gen9.sh r1r2-run9g-scaf $AD --scaffold --benches verilogeval-v2-spec &
wait
echo done > $O/all9c.done
