/** /v1/users: read by id or email, list by plan tier and role, create, update. */
import { OpenAPIHono } from "@hono/zod-openapi";
import {
  CreateUserBody,
  ListUsersQuery,
  UpdateUserBody,
  User,
  UserByEmailQuery,
  UserIdParams,
  UserPage,
} from "../../../shared/api/schemas/users.ts";
import type { AppEnv } from "../../env.ts";
import { readContext } from "../../middleware/read-context.ts";
import { servedValue } from "../../middleware/timing.ts";
import { requireServices } from "../../middleware/services.ts";
import { jsonContent, jsonRequest, problems, scopedRoute } from "./define.ts";

const getUser = scopedRoute("read", {
  method: "get",
  path: "/users/{id}",
  tags: ["users"],
  summary: "A user by id",
  request: { params: UserIdParams },
  responses: { 200: jsonContent(User, "The user"), ...problems(400, 404) },
});

const getUserByEmail = scopedRoute("read", {
  method: "get",
  path: "/users/by-email",
  tags: ["users"],
  summary: "A user by email (case-insensitive)",
  request: { query: UserByEmailQuery },
  responses: { 200: jsonContent(User, "The user"), ...problems(400, 404) },
});

const listUsers = scopedRoute("read", {
  method: "get",
  path: "/users",
  tags: ["users"],
  summary: "Users by plan tier and role, by id, with cursor pagination",
  request: { query: ListUsersQuery },
  responses: { 200: jsonContent(UserPage, "A page of users"), ...problems(400) },
});

const createUser = scopedRoute("write", {
  method: "post",
  path: "/users",
  tags: ["users"],
  summary: "Create a user (and its audit record)",
  request: { body: jsonRequest(CreateUserBody) },
  responses: { 201: jsonContent(User, "The created user"), ...problems(400, 409, 415) },
});

const updateUser = scopedRoute("write", {
  method: "patch",
  path: "/users/{id}",
  tags: ["users"],
  summary: "Change some of a user's fields (and record it in the audit log)",
  request: { params: UserIdParams, body: jsonRequest(UpdateUserBody) },
  responses: { 200: jsonContent(User, "The updated user"), ...problems(400, 404, 409, 415) },
});

export const userRoutes = new OpenAPIHono<AppEnv>()
  .openapi(getUserByEmail, async (c) => {
    const { email } = c.req.valid("query");
    return c.json(servedValue(c, await requireServices(c).users.byEmail(email, readContext(c))), 200);
  })
  .openapi(getUser, async (c) => {
    const { id } = c.req.valid("param");
    return c.json(servedValue(c, await requireServices(c).users.byId(id, readContext(c))), 200);
  })
  .openapi(listUsers, async (c) => {
    const query = c.req.valid("query");
    return c.json(servedValue(c, await requireServices(c).users.list(query, readContext(c))), 200);
  })
  .openapi(createUser, async (c) => {
    const body = c.req.valid("json");
    const user = servedValue(c, await requireServices(c).users.create(body, c.var.principal.keyId, readContext(c)));
    return c.json(user, 201, { location: `/v1/users/${user.id}` });
  })
  .openapi(updateUser, async (c) => {
    const { id } = c.req.valid("param");
    const body = c.req.valid("json");
    return c.json(servedValue(c, await requireServices(c).users.update(id, body, c.var.principal.keyId, readContext(c))), 200);
  });
