# poll.sh FILE MAXSTEPS: wait (10 s steps) for a done-file, printing progress
n=0; while [ ! -f "$1" ] && [ $n -lt ${2:-54} ]; do sleep 10; n=$((n+1)); done
ls /root/m/out8; tail -c 600 /root/m/out8/r2l128.log 2>/dev/null | tr '\r' '\n' | tail -3; tail -c 400 /root/m/out8/r1r2-run8l128.log 2>/dev/null | tr '\r' '\n' | tail -2; nvidia-smi --query-gpu=utilization.gpu,memory.used --format=csv,noheader
