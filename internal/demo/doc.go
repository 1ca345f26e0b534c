// Package demo seeds the demonstration data sets into a fresh database:
// the town demo that serve --demo and demo --size town show
// (Épinay-sur-Seine's 15 schools in 7 quartiers, 6 packs, one person per
// role, requests in every state, loans in every state of the lifecycle, a
// maintenance window, a published allocation round and two iCal feeds),
// and the national-size data set that demo --size national makes for
// benchmarks. It prints how to use what it seeded: each demo person's
// API token and a one-use sign-in link.
//
// It writes only through the store's public methods, each step by the
// person who would take it, with the store's clock set to the day it
// happens: it never reaches the database itself (no bun, no SQL, no
// transaction of its own), so the demo can only hold states the product
// can reach. TestOnlyStoreAPI keeps it so.
package demo
