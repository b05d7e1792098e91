#!/usr/bin/env bash
# The lab: three Debian 12 hosts (podman containers running systemd and sshd) that playbooks reach over SSH
# with a key made for the lab, as an operator reaches servers. Its state (key, known_hosts, inventory,
# passwords, logs) lives in .lab/, which git ignores.
#
#   scripts/lab.sh create     build the image (cached), start the hosts (reused when current), write the inventory
#   scripts/lab.sh site       ansible-playbook playbooks/site.yml -i .lab/inventory.yml (extra args passed on)
#   scripts/lab.sh converged  site.yml once more; fails unless every host reports changed=0
#   scripts/lab.sh summary    playbooks/health.yml, shown as a short summary of the cluster
#   scripts/lab.sh demo       create + site + summary
#   scripts/lab.sh test       destroy + create + site + converged + summary + the AWX runner test + destroy
#   scripts/lab.sh destroy    remove the lab's containers, its network and .lab/ (nothing else)
#
# Environment: VENV (default .venv) provides ansible-playbook and pytest; LAB_KEEP=1 keeps the lab after `test`.
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"
VENV=${VENV:-$repo/.venv}
LAB=$repo/.lab
IMAGE=localhost/redis-ops/lab:12
BASE=localhost/redis-ops/debian:12
NETWORK=redis-ops-lab
SUBNET=10.89.77.0/24
GATEWAY=10.89.77.1
HOSTS=(lab1 lab2 lab3)
declare -A ADDRESS=([lab1]=10.89.77.11 [lab2]=10.89.77.12 [lab3]=10.89.77.13)
LABEL=redis-ops.lab=1
BOOT_TIMEOUT=${LAB_BOOT_TIMEOUT:-120}

log() { printf "lab: [%s] %s\n" "$(date +%T)" "$*"; }
die() { printf 'lab: %s\n' "$*" >&2; exit 1; }

image_recipe() {
  # The lab image depends on its files and on the base image it was built from.
  local base_id
  base_id=$(podman image inspect "$BASE" --format '{{.Id}}')
  cat lab/Containerfile lab/sshd-lab.conf lab/ssh-hostkeys.service | { cat; echo "$base_id"; } | sha256sum | cut -c1-16
}

build_image() {
  scripts/containers-images.sh bookworm >/dev/null
  local recipe have
  recipe=$(image_recipe)
  have=$(podman image inspect "$IMAGE" --format '{{ index .Labels "redis-ops.lab-recipe" }}' 2>/dev/null || true)
  if [ "$have" = "$recipe" ]; then
    log "$IMAGE is up to date (recipe $recipe)"
    return
  fi
  log "building $IMAGE (recipe $recipe)"
  podman build --quiet --label "redis-ops.lab-recipe=$recipe" -t "$IMAGE" -f lab/Containerfile lab >"$LAB.build.log" 2>&1 \
    || { tail -20 "$LAB.build.log"; die "podman build failed"; }
  rm -f "$LAB.build.log"
}

ensure_network() {
  if podman network exists "$NETWORK"; then
    [ "$(podman network inspect "$NETWORK" --format '{{range .Subnets}}{{.Subnet}}{{end}}')" = "$SUBNET" ] \
      || die "network $NETWORK exists with another subnet than $SUBNET; run 'make demo-destroy' first"
    return
  fi
  # Refuse a subnet another network on this machine already uses, instead of breaking it.
  local name
  for name in $(podman network ls --format '{{.Name}}'); do
    if podman network inspect "$name" --format '{{range .Subnets}}{{.Subnet}} {{end}}' | grep -qw "$SUBNET"; then
      die "subnet $SUBNET is already used by podman network $name"
    fi
  done
  podman network create --subnet "$SUBNET" --gateway "$GATEWAY" --label "$LABEL" "$NETWORK" >/dev/null
  log "created network $NETWORK ($SUBNET)"
}

ensure_secrets() {
  mkdir -p "$LAB"
  chmod 0700 "$LAB"
  [ -f "$LAB/id_ed25519" ] || ssh-keygen -q -t ed25519 -N '' -C "redis-ops-lab" -f "$LAB/id_ed25519"
  if [ ! -f "$LAB/group_vars/all.yml" ]; then
    mkdir -p "$LAB/group_vars"
    # Passwords made for this lab; ansible-playbook reads group_vars/ next to the inventory file.
    (umask 077; printf -- '---\n# Made by scripts/lab.sh for this lab only.\nredis_password: %s\nredis_sentinel_password: %s\n' \
      "lab-data-$(head -c 18 /dev/urandom | base64 | tr -d '/+=')" \
      "lab-sentinel-$(head -c 18 /dev/urandom | base64 | tr -d '/+=')" > "$LAB/group_vars/all.yml")
  fi
}

# A container is reused when it runs the current image; otherwise every host is recreated.
hosts_current() {
  local image_id host
  image_id=$(podman image inspect "$IMAGE" --format '{{.Id}}')
  for host in "${HOSTS[@]}"; do
    [ "$(podman inspect "$host" --format '{{.Image}} {{.State.Running}}' 2>/dev/null || true)" = "$image_id true" ] || return 1
  done
  [ -f "$LAB/known_hosts" ] && [ -f "$LAB/inventory.yml" ]
}

wait_for() {
  # wait_for SECONDS DESCRIPTION COMMAND...: run COMMAND until it succeeds, at most SECONDS.
  local seconds=$1 what=$2 deadline
  shift 2
  deadline=$((SECONDS + seconds))
  until "$@" >/dev/null 2>&1; do
    [ "$SECONDS" -lt "$deadline" ] || die "timed out after ${seconds}s waiting for $what"
    sleep 1
  done
}

start_hosts() {
  local host
  for host in "${HOSTS[@]}"; do
    if podman container exists "$host"; then
      podman inspect "$host" --format '{{ index .Config.Labels "redis-ops.lab" }}' | grep -qx 1 \
        || die "a container named $host exists and is not the lab's; remove it or rename it"
      podman rm -f "$host" >/dev/null
    fi
    podman run -d --name "$host" --hostname "$host" --label "$LABEL" \
      --network "$NETWORK" --ip "${ADDRESS[$host]}" \
      --privileged --systemd=always "$IMAGE" /sbin/init >/dev/null
  done
  : > "$LAB/known_hosts.new"
  for host in "${HOSTS[@]}"; do
    wait_for "$BOOT_TIMEOUT" "sshd on $host" podman exec "$host" systemctl is-active --quiet ssh.service
    podman exec -i "$host" install -m 0600 -o ops -g ops /dev/stdin /home/ops/.ssh/authorized_keys < "$LAB/id_ed25519.pub"
    # The host key is read through podman, not trusted on first use over the network.
    printf '%s %s\n' "${ADDRESS[$host]}" "$(podman exec "$host" cat /etc/ssh/ssh_host_ed25519_key.pub | cut -d' ' -f1,2)" \
      >> "$LAB/known_hosts.new"
  done
  mv "$LAB/known_hosts.new" "$LAB/known_hosts"
  log "started ${HOSTS[*]} on $NETWORK"
}

write_inventory() {
  cat > "$LAB/inventory.yml" <<EOF
---
# The lab's fleet (written by scripts/lab.sh): lab1 is the first primary, lab2 and lab3 replicas,
# a Sentinel on each. Passwords are in group_vars/all.yml next to this file.
all:
  vars:
    ansible_connection: ssh
    ansible_user: ops
    ansible_ssh_private_key_file: $LAB/id_ed25519
    ansible_ssh_common_args: -o UserKnownHostsFile=$LAB/known_hosts -o StrictHostKeyChecking=yes
    # SSH connection sharing sockets of this lab only: a new lab never reuses one to a removed container.
    ansible_control_path_dir: $LAB/cp
    ansible_python_interpreter: /usr/bin/python3
    # The sandbox refuses to raise rlimits above 10000 (see molecule/README.md).
    redis_limit_nofile: 10000
    redis_repl_diskless_sync_delay: 0
  children:
    redis_master:
      hosts:
        lab1:
          ansible_host: ${ADDRESS[lab1]}
    redis_replica:
      hosts:
        lab2:
          ansible_host: ${ADDRESS[lab2]}
        lab3:
          ansible_host: ${ADDRESS[lab3]}
    redis_sentinel:
      hosts:
        lab1:
        lab2:
        lab3:
EOF
}

ssh_ok() {
  ssh -o BatchMode=yes -o ConnectTimeout=5 -o UserKnownHostsFile="$LAB/known_hosts" -o StrictHostKeyChecking=yes \
    -i "$LAB/id_ed25519" "ops@$1" sudo -n true
}

create() {
  scripts/debian-deps.sh lab containers
  build_image
  ensure_network
  ensure_secrets
  if hosts_current; then
    log "reusing the running lab (${HOSTS[*]})"
  else
    start_hosts
    write_inventory
  fi
  local host
  for host in "${HOSTS[@]}"; do
    wait_for 60 "SSH login with sudo on $host (${ADDRESS[$host]})" ssh_ok "${ADDRESS[$host]}"
  done
  log "inventory: $LAB/inventory.yml (SSH as ops with $LAB/id_ed25519)"
}

run_site() {
  local logfile=$1
  shift
  [ -f "$LAB/inventory.yml" ] || die "no lab: run 'make demo' or 'scripts/lab.sh create'"
  log "ansible-playbook playbooks/site.yml -i .lab/inventory.yml $*"
  "$VENV/bin/ansible-playbook" playbooks/site.yml -i "$LAB/inventory.yml" "$@" 2>&1 | tee "$logfile"
}

# Every host of the play recap of LOGFILE reports changed=0, failed=0, unreachable=0.
assert_unchanged() {
  local recap
  recap=$(sed -n '/^PLAY RECAP/,$p' "$1" | grep -E '^\S+ +: ok=' || true)
  [ -n "$recap" ] || die "no play recap in $1"
  if grep -vE ' changed=0 +unreachable=0 +failed=0 ' <<<"$recap"; then
    die "site.yml on the converged lab changed something or failed (hosts above); see $1"
  fi
  log "site.yml on the converged lab: changed=0 on $(wc -l <<<"$recap") hosts"
}

summary() {
  [ -f "$LAB/inventory.yml" ] || die "no lab: run 'make demo' first"
  local rc=0
  # ansible.posix (from the ansible package in the venv) has the JSON callback.
  ANSIBLE_COLLECTIONS_PATH="$repo/.build:$("$VENV/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')" \
  ANSIBLE_STDOUT_CALLBACK=ansible.posix.json "$VENV/bin/ansible-playbook" playbooks/health.yml \
    -i "$LAB/inventory.yml" > "$LAB/health.json" 2> "$LAB/health.err" || rc=$?
  "$VENV/bin/python" scripts/lab-summary.py "$LAB/health.json" || { cat "$LAB/health.err" >&2; exit 1; }
  [ "$rc" -eq 0 ] || die "health.yml failed (rc $rc)"
}

destroy() {
  local host socket
  if ! command -v podman >/dev/null; then
    rm -rf "$LAB"
    log "no podman on this machine: no lab to remove"
    return
  fi
  # Close the SSH connections Ansible keeps open (ControlPersist) to this lab's hosts.
  for socket in "$LAB"/cp/*; do
    if [ -S "$socket" ]; then ssh -o ControlPath="$socket" -O exit lab >/dev/null 2>&1 || true; fi
  done
  for host in "${HOSTS[@]}"; do
    if podman container exists "$host"; then
      if podman inspect "$host" --format '{{ index .Config.Labels "redis-ops.lab" }}' | grep -qx 1; then
        podman rm -f -t 5 "$host" >/dev/null
      else
        log "leaving container $host alone: it is not the lab's"
      fi
    fi
  done
  if podman network exists "$NETWORK"; then
    podman network rm "$NETWORK" >/dev/null
  fi
  rm -rf "$LAB"
  log "removed the lab"
}

runner_test() {
  log "ansible-runner test (AWX layout) against the lab"
  PATH="$VENV/bin:$PATH" ANSIBLE_COLLECTIONS_PATH="" LAB_DIR="$LAB" "$VENV/bin/python" -m pytest -q -p no:cacheprovider tests/awx
}

case "${1:-}" in
  create) create ;;
  site) shift; run_site "$LAB/site.log" "$@" ;;
  converged) shift; run_site "$LAB/site-again.log" "$@" >/dev/null; assert_unchanged "$LAB/site-again.log" ;;
  summary) summary ;;
  demo)
    create
    run_site "$LAB/site.log"
    summary
    ;;
  test)
    destroy
    [ "${LAB_KEEP:-0}" = 1 ] || trap destroy EXIT
    create
    run_site "$LAB/site.log" >/dev/null || { tail -40 "$LAB/site.log"; die "site.yml failed"; }
    log "site.yml: ok (log in .lab/site.log)"
    summary
    # The second run of site.yml is the AWX job's (tests/awx), which must report changed=0 on every host.
    runner_test
    ;;
  destroy) destroy ;;
  *) sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//'; exit 2 ;;
esac
