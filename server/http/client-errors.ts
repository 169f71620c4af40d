// Answers for requests that never reach the app: a request that did not arrive in time (Node's header
// and request timeouts) or bytes that are not HTTP. Node's own answers there are a bare status line;
// these carry the contract's one error body like every other failure, then close the connection.
import { randomUUID } from 'node:crypto';
import type { Duplex } from 'node:stream';
import type { ErrorBody, ErrorCode } from 'instagram-push-kit';

interface ClientAnswer {
  status: number;
  reason: string;
  code: ErrorCode;
  resultMsg: string;
}

/** What to answer for an error Node reports on a connection before the app saw a request. */
export function clientErrorAnswer(err: NodeJS.ErrnoException): ClientAnswer {
  if (err.code === 'ERR_HTTP_REQUEST_TIMEOUT') {
    return { status: 408, reason: 'Request Timeout', code: 'request_timeout', resultMsg: 'The request did not arrive in time (headers or body too slow). Send it again, at once.' };
  }
  if (err.code === 'HPE_HEADER_OVERFLOW') {
    return { status: 431, reason: 'Request Header Fields Too Large', code: 'bad_request', resultMsg: 'The request headers are too large.' };
  }
  return { status: 400, reason: 'Bad Request', code: 'bad_request', resultMsg: 'The request is not valid HTTP/1.1.' };
}

/** The raw HTTP answer for `answer`, with `Connection: close`. */
export function clientErrorResponse(answer: ClientAnswer, requestId: string): string {
  const body: ErrorBody = { resultMsg: answer.resultMsg, code: answer.code, requestId, errors: [] };
  const json = JSON.stringify(body);
  return (
    `HTTP/1.1 ${answer.status} ${answer.reason}\r\nContent-Type: application/json; charset=utf-8\r\n` +
    `Content-Length: ${Buffer.byteLength(json)}\r\nX-Content-Type-Options: nosniff\r\nX-Request-Id: ${requestId}\r\n` +
    `Connection: close\r\n\r\n${json}`
  );
}

/** A `clientError` listener for a node:http server. */
export function answerClientError(err: NodeJS.ErrnoException, socket: Duplex): void {
  // A reset or a closed socket has no one left to answer; an answer already begun cannot be replaced.
  const started = (socket as Duplex & { _httpMessage?: { headersSent?: boolean } })._httpMessage?.headersSent === true;
  if (err.code === 'ECONNRESET' || !socket.writable || started) {
    socket.destroy();
    return;
  }
  socket.end(clientErrorResponse(clientErrorAnswer(err), randomUUID()));
}
