# run 8, lease 1, part b: a stronger DPO (lr 8e-5, 2 epochs, sigmoid+sft) once the four evals are done, beside
# the RAG + scaffold eval; then its plain and scaffolded evals
. /root/m/env.sh
R2="$PWD/rtlgen/adapters/rtlgen-smollm2-135m/round2"
INITS="[\"$PWD/$A1\",\"$R2/part1\",\"$R2/part2\",\"$R2/part3\",\"$R2/part4\"]"
while [ ! -f $O/evals.done ]; do sleep 5; done
python3 scripts/device_train_all.py --gguf /root/m/smollm2.gguf --data /root/m/data --out $O/dpoc --work /root/runsc \
  --stages dpo --pairs /root/m/pairs7.jsonl --dpo-seconds 420 --set "dpo.init_adapters=$INITS" \
  --set "dpo.loss_type=sigmoid+sft" --set dpo.learning_rate=8.0e-5 --set dpo.epochs=2.0 \
  --set dpo.scaffold_fraction=0.5 > $O/dpoc.log 2>&1
echo done > $O/dpoc.done
AD="--adapter $A1 --adapter $R2/part1 --adapter $R2/part2 --adapter $R2/part3 --adapter $R2/part4"
while [ ! -f $O/all.done ]; do sleep 5; done
bash /root/m/gen8.sh r1r2dpo-run8c $AD --adapter /root/runsc/dpo/adapter &
bash /root/m/gen8.sh r1r2dpo-run8c-scaf $AD --adapter /root/runsc/dpo/adapter --scaffold --benches verilogeval-v2-spec,rtllm-v1.1 &
wait
echo done > $O/allc.done
