/** Header that carries why a message was dead-lettered (AMQP); the embedded queue keeps it in a column. */
export const DEAD_LETTER_REASON_HEADER = 'x-dead-letter-reason';
/**
 * Header that carries how many handlings of a message answered `retry` (AMQP): classic queues keep no
 * delivery count, so a retried message is published again with it raised by one; the embedded queue
 * keeps it in a column.
 */
export const ATTEMPTS_HEADER = 'x-shipshape-attempts';
