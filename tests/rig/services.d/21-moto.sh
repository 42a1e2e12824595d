# moto's server: the EKS API (and any other AWS API) on one port. Waited for by 60-daemon.sh.
rig_spawn moto "$RIG_VENV/bin/moto_server" -H 127.0.0.1 -p "$PORT_MOTO"
rig_env KFSCALE_RIG_MOTO_URL "http://127.0.0.1:$PORT_MOTO"
rig_env AWS_ENDPOINT_URL_EKS "http://127.0.0.1:$PORT_MOTO"
