cd /root/m/repo
export PYTHONPATH=/root/m/site:/root/m/repo RTLGEN_CACHE=/root/m/cache PYTHONUNBUFFERED=1 PATH=/root/m/ivl/bin:$PATH RTLGEN_SANDBOX=rlimits LD_LIBRARY_PATH=/root/m/ivl/lib
A1=rtlgen/adapters/rtlgen-smollm2-135m/round1
O=/root/m/out8
mkdir -p $O
