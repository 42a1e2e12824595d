# The customer's git remote: a bare repository (branch main) seeded with the KRaft values file.
# Tests that commit make their own with kfscale_rig::git::seeded_remote.
git_root="$RIG_RUN/git"
mkdir -p "$git_root"
git init -q --bare -b main "$git_root/customer.git"
git clone -q "$git_root/customer.git" "$git_root/seed" 2>/dev/null
cp "$KFSCALE_RIG_VALUES" "$git_root/seed/values.yaml"
git -C "$git_root/seed" add values.yaml
git -C "$git_root/seed" -c user.name="kfscale rig" -c user.email=rig@kfscale.invalid \
  commit -q -m "Kloudfuse values"
git -C "$git_root/seed" push -q origin main
rm -rf "$git_root/seed"
rig_env KFSCALE_RIG_GIT_REMOTE "$git_root/customer.git"
