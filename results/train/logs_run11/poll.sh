# poll.sh FILE MAXSTEPS: wait (10 s steps) for a done-file, printing progress
n=0; while [ ! -f "$1" ] && [ $n -lt ${2:-54} ]; do sleep 10; n=$((n+1)); done
ls /root/m/out11; for f in $(ls -t /root/m/out11/*.log | head -3); do echo "== $f"; tail -c 500 $f | tr '\r' '\n' | grep -v '^\s*$' | tail -2; done; nvidia-smi --query-gpu=utilization.gpu,memory.used --format=csv,noheader
