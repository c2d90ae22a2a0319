export { votesMigrations } from './migrations.js';
export { planVotes, type StoredVote, type VotePlan, type VoteWrite } from './planVotes.js';
export { createVotesStore, VOTES_CHANGED_CHANNEL, type AppliedBatch, type VotesStore } from './votesStore.js';
