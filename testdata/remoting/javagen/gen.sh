#!/bin/sh
# Regenerates ../java-frames.jsonl with the stock RocketMQ 4.9.8 jars (needs a JDK and the
# RocketMQ lib directory, default /work/shared/java/rocketmq-4.9.8/lib).
set -e
LIB=${ROCKETMQ_LIB:-/work/shared/java/rocketmq-4.9.8/lib}
DIR=$(cd "$(dirname "$0")" && pwd)
OUT=$(mktemp -d)
CP=$(ls "$LIB"/*.jar | tr '\n' ':')
javac -nowarn -d "$OUT" -cp "$CP" "$DIR/GenFrames.java"
java -Drocketmq.remoting.version=409 -cp "$CP:$OUT" GenFrames 2>/dev/null | grep '^{' > "$DIR/../java-frames.jsonl"
rm -rf "$OUT"
