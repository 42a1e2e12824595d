# etcd 3.4 (Debian), its data in memory-backed /dev/shm where there is one: the rig is throwaway and
# fsyncs to disk would slow every write.
if [[ -d /dev/shm && -w /dev/shm ]]; then
  etcd_data="$(mktemp -d /dev/shm/kfscale-rig-etcd.XXXXXX)"
else
  etcd_data="$RIG_RUN/etcd"
fi
printf '%s\n' "$etcd_data" >"$RIG_RUN/etcd-data-dir"
rig_spawn etcd etcd --name rig --data-dir "$etcd_data" \
  --listen-client-urls "http://127.0.0.1:$PORT_ETCD" \
  --advertise-client-urls "http://127.0.0.1:$PORT_ETCD" \
  --listen-peer-urls "http://127.0.0.1:$PORT_ETCD_PEER" \
  --initial-advertise-peer-urls "http://127.0.0.1:$PORT_ETCD_PEER" \
  --initial-cluster "rig=http://127.0.0.1:$PORT_ETCD_PEER" \
  --logger zap --log-level warn
rig_env KFSCALE_RIG_ETCD_URL "http://127.0.0.1:$PORT_ETCD"
