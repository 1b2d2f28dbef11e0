#!/bin/bash
# Creates the district's topics (idempotent). Used by the compose `kafka-init` one-shot and the
# Kubernetes `kafka-topics` Job, both on the apache/kafka image.
#   KAFKA_BOOTSTRAP            host:port[,host:port]
#   TOPIC_PREFIX               e.g. "330903." (may be empty)
#   TOPICS                     space-separated name:partitions, e.g. "gridgov.tickets:6 gridgov.dlq:1"
#   TOPIC_REPLICATION_FACTOR   default 3
#   TOPIC_MIN_INSYNC_REPLICAS  default 2
set -euo pipefail

bootstrap="${KAFKA_BOOTSTRAP:?KAFKA_BOOTSTRAP is required}"
replication="${TOPIC_REPLICATION_FACTOR:-3}"
min_isr="${TOPIC_MIN_INSYNC_REPLICAS:-2}"
kafka_topics=/opt/kafka/bin/kafka-topics.sh

for spec in ${TOPICS:?TOPICS is required}; do
  topic="${TOPIC_PREFIX:-}${spec%%:*}"
  partitions="${spec##*:}"
  "$kafka_topics" --bootstrap-server "$bootstrap" --create --if-not-exists \
    --topic "$topic" --partitions "$partitions" --replication-factor "$replication" \
    --config min.insync.replicas="$min_isr"
  # Partitions can only grow; raise them when the spec asks for more than the topic has.
  current="$("$kafka_topics" --bootstrap-server "$bootstrap" --describe --topic "$topic" \
    | sed -n 's/.*PartitionCount: *\([0-9]*\).*/\1/p' | head -n 1)"
  if [ -n "$current" ] && [ "$current" -lt "$partitions" ]; then
    "$kafka_topics" --bootstrap-server "$bootstrap" --alter --topic "$topic" --partitions "$partitions"
  fi
  echo "create-topics: $topic ready ($partitions partitions, replication $replication)"
done
