package dev.fanout.push;

/** What the push gateway receives. {@code eventId} doubles as an idempotency key for the gateway. */
record PushNotification(String userId, String title, String body, String eventId) {
}
