/**
 * Derives the /validate bodies the way the API server does: each /mutate body is posted to ztgate
 * once and its JSON Patch applied to the object. Also writes the body files the driver reads.
 */
import { writeFile } from 'node:fs/promises';
import type { BodyFile } from './driver-protocol.js';
import { applyMutation, type ReviewBody } from './gen-reviews.js';
import { createAgent, send } from './https-client.js';

interface MutateAnswer {
  readonly response?: { readonly uid?: string; readonly patch?: string; readonly allowed?: boolean };
}

/** The mutated bodies, ztgate's patch for each (base64, by uid), and a line per unexpected answer. */
export interface MutationOutcome {
  readonly bodies: readonly ReviewBody[];
  readonly patches: Readonly<Record<string, string>>;
  readonly problems: readonly string[];
}

/** Posts every body to ztgate's /mutate on `port` and applies the returned patch. */
export async function mutateThroughZtgate(
  port: number,
  ca: string,
  bodies: readonly ReviewBody[],
): Promise<MutationOutcome> {
  const agent = createAgent(ca, 1);
  const out: ReviewBody[] = [];
  const patches: Record<string, string> = {};
  const problems: string[] = [];
  try {
    for (const body of bodies) {
      const response = await send(agent, port, 'POST', '/mutate', Buffer.from(JSON.stringify(body.review)));
      const answer = response.status === 200 ? (JSON.parse(response.text) as MutateAnswer) : undefined;
      if (answer?.response?.uid !== body.uid || answer.response.allowed !== true) {
        problems.push(
          `/mutate ${body.kind} ${body.uid}: HTTP ${response.status} ${response.text.slice(0, 300)}`,
        );
        out.push(body);
        continue;
      }
      const patch = answer.response.patch;
      if (patch !== undefined) patches[body.uid] = patch;
      const ops =
        patch === undefined ? [] : (JSON.parse(Buffer.from(patch, 'base64').toString('utf8')) as unknown[]);
      out.push(applyMutation(body, ops));
    }
  } finally {
    agent.destroy();
  }
  return { bodies: out, patches, problems };
}

/**
 * Writes the patches the ceiling answers with: ztgate's own patch for each /mutate body, so both
 * servers send the same bytes (response bytes cost real CPU: TLS and loopback TCP).
 */
export async function writePatchFile(file: string, patches: Readonly<Record<string, string>>): Promise<void> {
  await writeFile(file, JSON.stringify(patches));
}

/** Writes bodies in the driver's file format. */
export async function writeBodyFile(file: string, bodies: readonly ReviewBody[]): Promise<void> {
  const content: BodyFile = { bodies: bodies.map((b) => ({ uid: b.uid, text: JSON.stringify(b.review) })) };
  await writeFile(file, JSON.stringify(content));
}
