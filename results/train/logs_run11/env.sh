cd /root/m/repo
export PYTHONPATH=/root/m/site:/root/m/repo RTLGEN_CACHE=/root/m/cache PYTHONUNBUFFERED=1 RTLGEN_SANDBOX=rlimits
A1=rtlgen/adapters/rtlgen-smollm2-135m/round1
O=/root/m/out11
mkdir -p $O
