// A response whose body is relayed chunk by chunk, so its sender learns when
// the body is done: a raw request's body slot (server/body-after-answer.ts)
// and a forwarded reply's owner watch (cluster/forward.ts) end with it.

/**
 * `response` again, its body read from `reader` (the response body's) as the
 * consumer pulls; `onEnd` runs once when the body ended, failed or was
 * cancelled. `highWaterMark` 0 reads nothing ahead of the consumer.
 */
export function relayBody(
	response: Response,
	reader: ReadableStreamDefaultReader<Uint8Array>,
	onEnd: () => void,
	highWaterMark = 1,
): Response {
	let ended = false;
	const end = () => {
		if (ended) return;
		ended = true;
		onEnd();
	};
	const relayed = new ReadableStream<Uint8Array>(
		{
			async pull(controller) {
				try {
					const { done, value } = await reader.read();
					if (done) {
						end();
						controller.close();
					} else controller.enqueue(value);
				} catch (error) {
					end();
					controller.error(error);
				}
			},
			cancel(reason) {
				end();
				return reader.cancel(reason);
			},
		},
		{ highWaterMark },
	);
	return new Response(relayed, {
		status: response.status,
		statusText: response.statusText,
		headers: response.headers,
	});
}
