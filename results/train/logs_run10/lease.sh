# run 10, one lease: round 2 as run 9f (LoRA r=128, alpha 256, lr 6e-4, packed rows, batch 32 x 2,048,
# scaffold_fraction 1.0) over the shipped round 1 on bundle TAG for STEPS steps (9f: 740), then its plain (five
# benchmarks) and scaffolded (v2 spec-to-rtl, RTLLM v1.1) evaluations side by side.
# usage: lease.sh TAG STEPS [more --set overrides]   (data: /root/m/d_TAG/data.tar.gz)
. /root/m/env.sh
TAG=$1; STEPS=$2; shift 2
export PYTORCH_CUDA_ALLOC_CONF=expandable_segments:True
mkdir -p /root/m/data_$TAG && tar -xzf /root/m/d_$TAG/data.tar.gz -C /root/m/data_$TAG
python3 scripts/device_train_all.py --gguf /root/m/smollm2.gguf --data /root/m/data_$TAG/default --out $O/r2$TAG --work /root/runs_$TAG \
    --stages round2 --r1-adapter $A1 --r2-seconds 1500 --set round2.packing=true --set round2.packing_layout=rows \
    --set round2.max_length=2048 --set round2.batch_size=32 --set round2.learning_rate=6.0e-4 --set round2.epochs=10 --set round2.max_steps=$STEPS \
    --set round2.dataloader_workers=2 --set round2.dataset_workers=8 --set round2.scaffold_fraction=1.0 \
    --set round2.lora.r=128 --set round2.lora.alpha=256 "$@" > $O/r2$TAG.log 2>&1
mkdir -p $O/ad$TAG && tar -C /root/runs_$TAG/round2 -cf /root/m/r2${TAG}_adapter.tar adapter && split -b 12M -d /root/m/r2${TAG}_adapter.tar $O/ad$TAG/r2$TAG.tar.
echo done > $O/r2$TAG.done
AD="--adapter $A1 --adapter /root/runs_$TAG/round2/adapter"
bash /root/m/gen.sh r1r2-run10$TAG $AD &
bash /root/m/gen.sh r1r2-run10$TAG-scaf $AD --scaffold --benches verilogeval-v2-spec,rtllm-v1.1 &
wait
echo done > $O/all$TAG.done
