// LibreChat's own balance code (npm @librechat/data-schemas, createMethods) against a MongoDB, for
// librechat/tests/test_librechat_node.py. Usage: node harness.mjs run|read '<json config>'.
//   run:  for `seconds`, `workers` loops each act as LibreChat serving requests for random users:
//         reserve the estimated cost (auto-refilling when due), spend it (spendTokens or
//         spendStructuredTokens), release the hold; now and then create a missing balance record
//         (upsertBalanceFields). Every hold is released before it ends. Prints counts as JSON.
//   read: holds `holdCredits` for the first user (left in place), then prints what
//         findBalanceByUser(user, {includeReservedCredits: true}) answers for every user, and
//         how many balance documents LibreChat sees per user.
// Users with a tenantId are served inside tenantStorage.run, as LibreChat's tenant middleware does.
// LIBRECHAT_NODE_MODULES names the folder whose node_modules hold the pinned packages.
import { createRequire } from 'node:module';
import path from 'node:path';

const require = createRequire(path.join(path.resolve(process.env.LIBRECHAT_NODE_MODULES), 'package.json'));
const mongoose = require('mongoose');
const { createModels, createMethods, tenantStorage } = require('@librechat/data-schemas');

const [mode, configText] = process.argv.slice(2);
const config = JSON.parse(configText);
const counts = { reserved: 0, refused: 0, spent: 0, structured: 0, released: 0, created: 0, errors: [] };

function asTenant(user, work) {
  return user.tenantId ? tenantStorage.run({ tenantId: user.tenantId }, work) : work();
}

const pick = (items) => items[Math.floor(Math.random() * items.length)];

async function serveOne(methods, user) {
  const id = new mongoose.Types.ObjectId(user.id);
  if (Math.random() < 0.1) {
    await methods.upsertBalanceFields(id, {});
    counts.created += 1;
    return;
  }
  const reservationId = new mongoose.Types.ObjectId().toString();
  const amount = 200 + Math.floor(Math.random() * 9800);
  const expiresAt = new Date(Date.now() + 60_000);
  const admitted = await methods.reserveBalance({ user: id, reservationId, amount, expiresAt });
  if (!admitted?.reserved) {
    counts.refused += 1;
    return;
  }
  counts.reserved += 1;
  try {
    // A few tokens, so the charge stays within the hold whatever the model's rate.
    const txData = { user: id, conversationId: `c-${reservationId}`, model: 'gpt-4o-mini', context: 'message', balance: { enabled: true } };
    if (Math.random() < 0.5) {
      await methods.spendTokens(txData, { promptTokens: 5 + Math.floor(Math.random() * 10), completionTokens: 5 });
      counts.spent += 1;
    } else {
      await methods.spendStructuredTokens(txData, {
        promptTokens: { input: 5, write: 2, read: 3 },
        completionTokens: 4,
      });
      counts.structured += 1;
    }
  } finally {
    await methods.releaseBalanceReservation({ user: id, reservationId, amount });
    counts.released += 1;
  }
}

async function run(methods) {
  const until = Date.now() + config.seconds * 1000;
  // A request larger than any balance: refused, but only after the due auto-refill was applied.
  for (const user of config.users.filter((u) => u.kind === 'refill')) {
    const id = new mongoose.Types.ObjectId(user.id);
    const expiresAt = new Date(Date.now() + 60_000);
    await asTenant(user, () => methods.reserveBalance({ user: id, reservationId: 'too-large', amount: 1e12, expiresAt }));
  }
  const worker = async () => {
    while (Date.now() < until) {
      const user = pick(config.users);
      try {
        await asTenant(user, () => serveOne(methods, user));
      } catch (error) {
        counts.errors.push(`${user.id}: ${error.message}`);
      }
    }
  };
  await Promise.all(Array.from({ length: config.workers }, worker));
  return counts;
}

async function read(methods) {
  const [first] = config.users;
  if (config.holdCredits) {
    await asTenant(first, () =>
      methods.reserveBalance({
        user: new mongoose.Types.ObjectId(first.id),
        reservationId: 'left-in-flight',
        amount: config.holdCredits,
        expiresAt: new Date(Date.now() + 600_000),
      }),
    );
  }
  const seen = {};
  for (const user of config.users) {
    const id = new mongoose.Types.ObjectId(user.id);
    seen[user.id] = await asTenant(user, async () => {
      const found = await methods.findBalanceByUser(id, { includeReservedCredits: true });
      const documents = await mongoose.models.Balance.countDocuments({ user: id });
      return { tokenCredits: found?.tokenCredits ?? null, reservedCredits: found?.reservedCredits ?? null, documents };
    });
  }
  return seen;
}

await mongoose.connect(config.uri, { autoIndex: false });
createModels(mongoose);
const methods = createMethods(mongoose);
try {
  const answer = mode === 'run' ? await run(methods) : await read(methods);
  process.stdout.write(`${JSON.stringify(answer)}\n`);
} finally {
  await mongoose.disconnect();
}
