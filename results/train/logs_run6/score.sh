. /root/m/env.sh
TAG=$1; W=${2:-5}
python3 scripts/score_base_eval.py --tar /root/m/out6/$TAG/${TAG}_samples.tar.gz --bench-root /root/m/bench --runs-dir /root/m/runs6/$TAG --label "$TAG" --workers $W > /root/m/out6/$TAG.score.log 2>&1
tar czf /root/m/out6/${TAG}_runs.tar.gz -C /root/m/runs6 $TAG
echo done > /root/m/out6/$TAG.score.done
