"""The event bus: CloudEvents envelope, Kafka clients, outbox relay, consumer loop with inbox and DLQ."""
