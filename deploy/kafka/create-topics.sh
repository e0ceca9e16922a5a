#!/usr/bin/env bash
# Creates Chorus's topics (deploy/kafka/topics, then the serve job's own, deploy/kafka/serve-topics) with Kafka's own
# kafka-topics.sh; topics that exist are left as they are. Used by docker-compose.yml (in the apache/kafka image) and
# usable against any cluster:
#   deploy/kafka/create-topics.sh BOOTSTRAP [REPLICATION_FACTOR] [-- extra kafka-topics.sh args, e.g. --command-config]
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
bootstrap="${1:?usage: create-topics.sh BOOTSTRAP [REPLICATION_FACTOR] [-- kafka-topics.sh args]}"
shift
replication="1"
if [ $# -gt 0 ] && [ "$1" != "--" ]; then replication="$1"; shift; fi
if [ $# -gt 0 ] && [ "$1" = "--" ]; then shift; fi
kafka_topics="${KAFKA_TOPICS:-$(command -v kafka-topics.sh || echo /opt/kafka/bin/kafka-topics.sh)}"

cat "$here/topics" "$here/serve-topics" | grep -v -e '^#' -e '^[[:space:]]*$' |
while read -r name partitions configs; do
  config_args=()
  if [ -n "${configs:-}" ]; then
    IFS=',' read -r -a pairs <<< "$configs"
    for pair in "${pairs[@]}"; do config_args+=(--config "$pair"); done
  fi
  "$kafka_topics" --bootstrap-server "$bootstrap" --create --if-not-exists --topic "$name" \
    --partitions "$partitions" --replication-factor "$replication" "${config_args[@]}" "$@"
done
"$kafka_topics" --bootstrap-server "$bootstrap" --list "$@"
