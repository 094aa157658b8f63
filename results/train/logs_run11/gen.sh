# generate one eval variant: TAG then device_base_eval args
. /root/m/env.sh
TAG=$1; shift
python3 scripts/device_base_eval.py --model /root/m/smollm2.gguf "$@" --tag $TAG --bench-root /root/m/bench --out $O/$TAG --work /root/m/work_$TAG --time-budget-s 1500 --max-new-tokens 768 > $O/$TAG.log 2>&1
echo done > $O/$TAG.gen.done
